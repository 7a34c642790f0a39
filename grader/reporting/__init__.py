"""Results of a grading run and the reports they become: text, markdown, HTML, results.json and JUnit XML."""
