"""A learner package written outside the toolkit, for tests: `user_learner_pkg.learners:make`."""
