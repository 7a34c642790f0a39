"""Results of a grading run and the reports they become: text, markdown, HTML and results.json."""
