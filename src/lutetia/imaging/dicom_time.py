"""DICOM date-times (DA, TM, DT) to timezone-aware datetimes, with the tag named on error.

Notes
-----
A DT value carries its own UTC offset when the writer included one; DA + TM pairs and
offset-less DT values are local times whose offset is TimezoneOffsetFromUTC (0008,0201) when
present, else the offset the caller states. Nothing is guessed: with neither, the reader
raises an error naming TimezoneOffsetFromUTC. A time without a date (e.g. the retired
RadiopharmaceuticalStartTime alone) cannot be placed on a day — a 177Lu scan is taken up to
a week after injection — and is refused rather than put on the scan's date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from lutetia.errors import RecordError

_OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})$")
_DT = re.compile(r"^(\d{8})(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?([+-]\d{4})?$")


def parse_offset(text: str, record: str, field: str = "TimezoneOffsetFromUTC") -> tzinfo:
    """``+hhmm``/``-hhmm`` as a fixed-offset timezone."""
    m = _OFFSET.match(text.strip())
    if not m:
        raise RecordError("malformed UTC offset", record=record, field=field, value=text,
                          accepted="+hhmm or -hhmm (e.g. +0100)")
    sign = 1 if m.group(1) == "+" else -1
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return UTC if delta == timedelta(0) else timezone(sign * delta)


def dataset_timezone(ds: Any, record: str, default: tzinfo | None) -> tzinfo:
    """TimezoneOffsetFromUTC of the dataset, else ``default``, else an error naming the tag."""
    text = str(getattr(ds, "TimezoneOffsetFromUTC", "") or "").strip()
    if text:
        return parse_offset(text, record)
    if default is None:
        raise RecordError("the file has no UTC offset and none was given", record=record,
                          field="TimezoneOffsetFromUTC", value=None,
                          accepted="the tag in the file, or a timezone given by the caller")
    return default


def parse_dt(text: str, record: str, field: str, tz: tzinfo) -> datetime:
    """A DICOM DT value (YYYYMMDDHHMMSS.FFFFFF&ZZXX); a missing offset means ``tz``."""
    m = _DT.match(text.strip())
    if not m:
        raise RecordError("malformed DICOM date-time", record=record, field=field, value=text,
                          accepted="YYYYMMDDHHMMSS[.FFFFFF][+hhmm]")
    day, hh, mm, ss, frac, off = m.groups()
    if hh is None:
        raise RecordError("date-time has no time of day", record=record, field=field,
                          value=text, accepted="YYYYMMDDHHMMSS")
    micro = min(int(round(float(frac) * 1e6)), 999999) if frac else 0
    zone = parse_offset(off, record, field) if off else tz
    try:
        return datetime(int(day[:4]), int(day[4:6]), int(day[6:]), int(hh), int(mm or 0),
                        int(ss or 0), micro, tzinfo=zone)
    except ValueError as exc:
        raise RecordError("impossible DICOM date-time", record=record, field=field, value=text,
                          accepted="a calendar date and time") from exc


def parse_da_tm(date: str, time: str, record: str, fields: tuple[str, str],
                tz: tzinfo) -> datetime:
    """A DA + TM pair (HHMMSS.FFFFFF, HHMM or HH also accepted, as DICOM allows)."""
    t = time.strip().replace(":", "")
    m = re.match(r"^(\d{2})(\d{2})?(\d{2})?(\.\d{1,6})?$", t)
    if not m or not re.match(r"^\d{8}$", date.strip()):
        raise RecordError("malformed DICOM date or time", record=record,
                          field=f"{fields[0]}/{fields[1]}", value=(date, time),
                          accepted="DA YYYYMMDD and TM HHMMSS[.FFFFFF]")
    hh, mm, ss, frac = m.groups()
    return parse_dt(f"{date.strip()}{hh}{mm or '00'}{ss or '00'}{frac or ''}", record,
                    fields[1], tz)


def acquisition_datetime(ds: Any, record: str, tz: tzinfo) -> datetime:
    """AcquisitionDateTime, else AcquisitionDate + AcquisitionTime, else an error.

    SeriesDate is not combined with AcquisitionTime: a scan started after midnight belongs
    to the next day although its series may be dated the day before.
    """
    dt = str(getattr(ds, "AcquisitionDateTime", "") or "")
    if dt:
        return parse_dt(dt, record, "AcquisitionDateTime", tz)
    date = str(getattr(ds, "AcquisitionDate", "") or "")
    time = str(getattr(ds, "AcquisitionTime", "") or "")
    if date and time:
        return parse_da_tm(date, time, record, ("AcquisitionDate", "AcquisitionTime"), tz)
    raise RecordError("acquisition date-time missing", record=record,
                      field="AcquisitionDateTime", value=None,
                      accepted="AcquisitionDateTime, or AcquisitionDate with AcquisitionTime")


def injection_datetime(radiopharmaceutical: Any, record: str, tz: tzinfo) -> datetime | None:
    """RadiopharmaceuticalStartDateTime; None when absent; a time-only start is an error."""
    if radiopharmaceutical is None:
        return None
    dt = str(getattr(radiopharmaceutical, "RadiopharmaceuticalStartDateTime", "") or "")
    if dt:
        return parse_dt(dt, record, "RadiopharmaceuticalStartDateTime", tz)
    if str(getattr(radiopharmaceutical, "RadiopharmaceuticalStartTime", "") or ""):
        raise RecordError("injection time without a date cannot be placed on a day",
                          record=record, field="RadiopharmaceuticalStartDateTime", value=None,
                          accepted="RadiopharmaceuticalStartDateTime (date and time), or the "
                                   "administration time from the patient record")
    return None
