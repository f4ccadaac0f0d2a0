"""Source definitions (sources.yaml) and one reader module per kind of source."""
