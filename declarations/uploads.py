"""The cap on an uploaded request body, enforced while Django reads it rather than after.

Django's own handlers spool any file over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file and only then
would a view see its size: a 400 MB anonymous upload was written to disk before the 413. This handler comes
first in FILE_UPLOAD_HANDLERS, so it refuses a declared Content-Length over the cap before a byte is read, and
stops at the cap if more arrives than was declared.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _


class UploadTooLarge(RequestDataTooBig):
    """A RequestDataTooBig, so that pages answer it with Django's 400 as they do for other oversized bodies;
    the API's exception handler answers it with a 413 naming the limit."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(_("The upload is larger than the %(limit).0f MB the platform reads.") % {"limit": limit / 1e6})


class CappedUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.MAX_UPLOAD_BYTES
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit:
            raise UploadTooLarge(self.limit)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None
