"""The French sources and rules: SAE, FINESS, INSEE and IGN files, their contracts and codes, départements
and régions, communes under current codes, the five services, indicators and gap rules, where a new site
may open, the change between SAE editions."""
