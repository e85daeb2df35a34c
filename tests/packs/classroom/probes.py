"""Child side of the classroom pack: call the student's function, return what it gave."""


def double(subject, inputs):
    return {"returned": subject.main(inputs["x"])}


def mean(subject, inputs):
    return {"returned": subject.main(inputs["a"])}


PROBES = {"double": double, "mean": mean}
FINDERS = {}
