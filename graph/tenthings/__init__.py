"""The year's ten practical things (一年10件实事): candidate matters, the joint meeting's decision, the
units' commitments, progress and the residents' satisfaction."""
