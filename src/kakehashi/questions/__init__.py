"""Questions the front ends ask: the library answers them once, the CLI, the web and the packs only format."""
