"""Signed webhooks for partner systems (issue 24 §2): registering, the relay, replays."""
