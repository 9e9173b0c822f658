"""`chainrule train translate`: a sequence-to-sequence translator (being built in issue 11)."""


def add_parser(tasks):
    tasks.add_parser("translate", help="a sequence-to-sequence translator (not built yet)")
