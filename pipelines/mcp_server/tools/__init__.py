"""One module per area of the books; each holds its tools' SQL and builds their answers."""
