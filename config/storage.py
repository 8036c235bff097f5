from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files with no public address: they are read only through views that check who is asking."""

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a permission-checked view.")
