"""The lab's workflows over the API: scripted experiments, the scene designer, scoring uploads."""
