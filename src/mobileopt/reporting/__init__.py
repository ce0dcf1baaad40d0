"""Tables, figures and the thesis' generated parts. Never imports TensorFlow."""
