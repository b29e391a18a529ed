"""One module per top-level group: parse flags, call api/, hand data to output."""
