"""The year's ten practical things (一年10件实事): collected by the community's staff, decided at the joint
meeting (党建联席会议), taken on by units, tracked to completion and rated by residents."""
