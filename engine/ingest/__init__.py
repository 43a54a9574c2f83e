"""Bank files in: one reader per format (camt.053/054, BAI2, MT940/942, EDI 820, NACHA, CSV), all
yielding engine.ingest.records; the importer stores what they yield, a whole file or nothing."""
