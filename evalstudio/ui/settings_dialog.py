"""The settings dialog: where the assistance comes from, and the keyboard shortcuts."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from evalstudio.ui.app_settings import ModelOptions
from evalstudio.ui.palette import APPEARANCES, error_label
from evalstudio.ui.screen_fit import fit_to_screen
from evalstudio.ui.shortcuts import ACTIONS, conflicts, keys_of


class SettingsDialog(QDialog):
    def __init__(
        self,
        parent: QWidget,
        options: ModelOptions,
        shortcuts: dict[str, str],
        appearance: str = "system",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        fit_to_screen(self, 640, 560)
        tabs = QTabWidget()
        tabs.addTab(self._model_tab(options), "Model")
        tabs.addTab(self._shortcut_tab(shortcuts), "Keyboard")
        tabs.addTab(self._look_tab(appearance), "Appearance")
        self.error = QLabel()
        self.error.setWordWrap(True)
        error_label(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _model_tab(self, options: ModelOptions) -> QWidget:
        self.model_path = QLineEdit(options.model_path)
        self.model_path.setPlaceholderText("the bundled SmolLM2-135M-Instruct")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.model_path, 1)
        path_row.addWidget(browse)
        self.threads = _spin(0, os.cpu_count() or 64, options.threads, "all cores")
        self.gpu_layers = _spin(0, 999, options.gpu_layers, "none (CPU)")
        self.context = _spin(512, 131072, options.context, "")
        self.context.setSingleStep(512)
        self.max_tokens = _spin(16, 8192, options.max_tokens, "")
        self.kv_cache = QComboBox()
        self.kv_cache.addItem("compact (8-bit, ~10% slower)", "q8_0")
        self.kv_cache.addItem("fast (16-bit)", "f16")
        self.kv_cache.setCurrentIndex(max(0, self.kv_cache.findData(options.kv_cache)))
        self.server_url = QLineEdit(options.server_url)
        self.server_url.setPlaceholderText("e.g. http://127.0.0.1:8080/v1 — empty: local model")
        self.server_model = QLineEdit(options.server_model)
        self.server_model.setPlaceholderText("the server's default")
        self.server_deadline = _spin(1, 86400, options.server_deadline, "")
        self.server_deadline.setToolTip("How long one request may take in all, answer included")
        form = QFormLayout()
        form.addRow("Model file (GGUF)", path_row)
        form.addRow("CPU threads", self.threads)
        form.addRow("GPU layers", self.gpu_layers)
        form.addRow("Context size (tokens)", self.context)
        form.addRow("Longest answer (tokens)", self.max_tokens)
        form.addRow("Context memory", self.kv_cache)
        form.addRow(QLabel("<b>Or an OpenAI-compatible server</b> (llama-server, vLLM, Ollama)"))
        form.addRow("Server URL", self.server_url)
        form.addRow("Server model", self.server_model)
        form.addRow("Server deadline (seconds)", self.server_deadline)
        box = QWidget()
        box.setLayout(form)
        return box

    def _shortcut_tab(self, overrides: dict[str, str]) -> QWidget:
        self.key_edits: dict[str, QKeySequenceEdit] = {}
        form = QFormLayout()
        for action in ACTIONS:
            edit = QKeySequenceEdit(QKeySequence(", ".join(keys_of(action.id, overrides))))
            edit.setClearButtonEnabled(True)
            self.key_edits[action.id] = edit
            form.addRow(action.label, edit)
        reset = QPushButton("Restore the defaults")
        reset.clicked.connect(self._reset_keys)
        form.addRow(reset)
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        return scroll

    def _look_tab(self, appearance: str) -> QWidget:
        self.appearance_box = QComboBox()
        for value, label in zip(APPEARANCES, ("Follow the system", "Light", "Dark"), strict=True):
            self.appearance_box.addItem(label, value)
        self.appearance_box.setCurrentIndex(APPEARANCES.index(appearance))
        form = QFormLayout()
        form.addRow("Colours", self.appearance_box)
        box = QWidget()
        box.setLayout(form)
        return box

    def appearance(self) -> str:
        return str(self.appearance_box.currentData())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a model", self.model_path.text(), "GGUF models (*.gguf)"
        )
        if path:
            self.model_path.setText(path)

    def _reset_keys(self) -> None:
        for action in ACTIONS:
            self.key_edits[action.id].setKeySequence(QKeySequence(action.default))

    def model_options(self) -> ModelOptions:
        return ModelOptions(
            model_path=self.model_path.text().strip(),
            threads=self.threads.value(),
            gpu_layers=self.gpu_layers.value(),
            context=self.context.value(),
            server_url=self.server_url.text().strip(),
            server_model=self.server_model.text().strip(),
            server_deadline=self.server_deadline.value(),
            max_tokens=self.max_tokens.value(),
            kv_cache=str(self.kv_cache.currentData()),
        )

    def shortcut_overrides(self) -> dict[str, str]:
        """Only the keys that differ from the defaults."""
        chosen = {}
        for action in ACTIONS:
            text = self.key_edits[action.id].keySequence().toString()
            if text != QKeySequence(action.default).toString():
                chosen[action.id] = text
        return chosen

    def problems(self) -> list[str]:
        problems = conflicts(self.shortcut_overrides())
        path = self.model_path.text().strip()
        if path and not self.server_url.text().strip() and not Path(path).is_file():
            problems.insert(0, f"Model file not found: {path}")
        return problems

    def _accept(self) -> None:
        problems = self.problems()
        if problems:
            self.error.setText("\n".join(problems))
            return
        self.accept()


def _spin(low: int, high: int, value: int, zero_text: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(max(low, min(high, value)))
    if zero_text:
        spin.setSpecialValueText(zero_text)
    return spin
