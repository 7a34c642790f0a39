"""Expected answers: the reference solution (instructors), or the public cases' shipped answers (the handout)."""
