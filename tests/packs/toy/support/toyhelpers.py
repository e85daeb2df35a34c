"""A course helper module shipped with the toy pack: imported by the student's code."""
SCALE = 3
