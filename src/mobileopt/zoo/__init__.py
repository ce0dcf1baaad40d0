"""The model zoo of RQ1/RQ2: keras.applications models converted and timed, and the roofline report."""
