"""Reference solution of the toy pack (trusted parent only)."""
SCALE = 3


def double(x):
    return 2 * x


def scaled(x):
    return x * SCALE


class Counter:
    def __init__(self):
        self.count = 0

    def add(self, amount):
        self.count += amount

    def total(self):
        return self.count
