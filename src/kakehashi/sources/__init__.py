"""Publishers' raw formats: one module per publisher, each with download and parse."""
