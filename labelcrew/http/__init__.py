"""What the HTTP API and the web pages share: who is calling and may they do this
(`auth`), and which status each typed error takes (`status`). Both layers sit above it and
neither imports the other; `labelcrew.app` mounts them together."""
