"""View models and rendered documents shared by the web pages and the command line."""
