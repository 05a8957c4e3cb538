"""Interoperability shells: REDCap projects and FHIR resources in and out of the store's records."""
