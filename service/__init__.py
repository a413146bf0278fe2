"""The answer API, the web page and the command line, on top of `index`."""
