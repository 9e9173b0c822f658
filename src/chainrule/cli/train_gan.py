"""`chainrule train gan`: a generative adversarial network (being built in issue 11)."""


def add_parser(tasks):
    tasks.add_parser("gan", help="a generative adversarial network (not built yet)")
