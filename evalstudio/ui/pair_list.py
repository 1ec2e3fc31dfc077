"""The pair editor's list: the task file's records that can get a twin, then its pairs
(marked apart, read-only)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from evalstudio.core.model import Truth
from evalstudio.core.task_records import TaskRecord

Key = tuple[str, str]  # ("record", record id) or ("pair", pair id)
_KEY_ROLE = Qt.ItemDataRole.UserRole


class PairList(QListWidget):
    """Headings, records without a twin (correct or unlabelled) and pairs; a flawed record
    without a twin (a gold item) cannot get one and is not listed."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Records and pairs")
        self.records: dict[str, TaskRecord] = {}
        self.pairs: dict[str, tuple[TaskRecord, TaskRecord]] = {}

    def fill(self, records: list[TaskRecord]) -> None:
        """List `records` (in the file's order); refilling is not the owner choosing, so no
        signal is emitted."""
        twins: dict[str, dict[Truth, TaskRecord]] = {}
        self.records = {}
        for record in records:
            if record.pair_id is not None and record.truth is not None:
                twins.setdefault(record.pair_id, {})[record.truth] = record
            elif record.truth is not Truth.FLAWED:
                self.records[record.id] = record
        self.pairs = {
            pair_id: (both[Truth.CORRECT], both[Truth.FLAWED])
            for pair_id, both in twins.items()
            if len(both) == 2
        }
        self.blockSignals(True)
        self.clear()
        self._heading(f"Without a twin ({len(self.records)})")
        for record_id, record in self.records.items():
            self._entry(f"{record_id}  ·  {record.kind.value}", ("record", record_id))
        self._heading(f"Pairs, read-only ({len(self.pairs)})")
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for pair_id, (correct, flawed) in self.pairs.items():
            item = self._entry(f"⇄ {pair_id}", ("pair", pair_id))
            item.setForeground(muted)
            item.setToolTip(f"{correct.id} and {flawed.id}: a pair already (read-only)")
        self.blockSignals(False)

    @staticmethod
    def key(item: QListWidgetItem | None) -> Key | None:
        """What an entry stands for; None for a heading."""
        key: Key | None = item.data(_KEY_ROLE) if item is not None else None
        return key

    def select(self, key: Key) -> None:
        """Make the entry of `key` the current one, as if the owner chose it."""
        for row in range(self.count()):
            if self.key(self.item(row)) == key:
                self.setCurrentRow(row)

    def stay_on(self, item: QListWidgetItem | None) -> None:
        """Go back to `item` without announcing it (the owner kept the twin being written)."""
        if item is not None:
            self.blockSignals(True)
            self.setCurrentItem(item)
            self.blockSignals(False)

    def _heading(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # not selectable, and not greyed out
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.addItem(item)

    def _entry(self, text: str, key: Key) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(_KEY_ROLE, key)
        self.addItem(item)
        return item
