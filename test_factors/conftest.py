"""The AssurAI safety suite. The cases come from the assurai plugin; see README.md for the options."""
