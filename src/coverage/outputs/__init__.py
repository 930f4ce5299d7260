"""What the planners, researchers and policy writers read: interactive and static maps, reports (Markdown,
HTML, PDF), directories of the nearest sites, the change between editions in words."""
