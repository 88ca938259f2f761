"""Test support: hypothesis strategies for the project's objects. Needs the `test` extra
(hypothesis); nothing at run time imports this package."""
