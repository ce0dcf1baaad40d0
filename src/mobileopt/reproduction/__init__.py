"""Did a run reproduce the thesis? Its numbers compared with the reference run's (reference/)."""
