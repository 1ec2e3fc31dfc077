"""Studies and what goes into them: the catalog and the demo study, creating a study from
study.toml, importing tasks, perturbation pairs and their authoring checks, scores."""
