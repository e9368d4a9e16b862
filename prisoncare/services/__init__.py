"""Use cases as plain functions. They validate, change the session, audit and
flush; the caller (a view, a job, a command) commits once."""
