"""History: what fit returns, one record per evaluation, readable by row or by column."""


class History:
    """The records of a training run, in order: each a dict with "step", "epoch" and the
    measured values ("train_loss", "val_loss", "val_accuracy" ...).

    history[-1] is the last record; history["val_loss"] is that column as a list (None where a
    record lacks it); len(history) counts the records.
    """

    def __init__(self, records=None):
        self.records = list(records or [])

    def append(self, record):
        self.records.append(dict(record))

    def keys(self):
        """Every column name, in the order first seen."""
        names = {}
        for record in self.records:
            names.update(dict.fromkeys(record))
        return list(names)

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(f"History: no column {key!r}; it has {self.keys()}")
            return [record.get(key) for record in self.records]
        return self.records[key]

    def __len__(self):
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def state_dict(self):
        return {"records": [dict(record) for record in self.records]}

    def load_state_dict(self, state):
        self.records = [dict(record) for record in state["records"]]

    def __repr__(self):
        return f"History({len(self)} records: {', '.join(self.keys())})"
