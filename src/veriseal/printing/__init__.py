"""Label printing: a batch's codes rendered through templates from ``printer_templates/``.

- :mod:`.qr`, :mod:`.datamatrix`: batch symbol encoders, vectorised across codes.
- :mod:`.records`: the label records renderers consume (URI, element string, serial, ...),
  streamed in chunks from a batch (or, later, from logistic units).
- :mod:`.templates`: template files (TOML) and the directories they are found in.
- :mod:`.render_*`: one renderer per output kind (PDF sheets, ZPL, coder CSV, images).
- :mod:`.jobs`: print-job records in the ledger (overlap refusal, reprints).
"""
