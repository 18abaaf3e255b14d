"""/resource/: the soda4LCA-compatible read service (registry.soda), mounted in epd_platform/urls.py."""

from django.urls import path, re_path

from . import soda

FOLDERS = "processes|flows|flowproperties|unitgroups|lciamethods|contacts|sources"

urlpatterns = [
    path("datastocks", soda.data_stocks, name="soda-datastocks"),
    path("datastocks/", soda.data_stocks),
    path("datastocks/<str:stock>/processes", soda.processes, name="soda-datastock-processes"),
    path("processes", soda.processes, name="soda-processes"),
    path("processes/", soda.processes),
    path("processes/<str:dataset_uuid>/zipexport", soda.zip_export, name="soda-zipexport"),
    path("processes/<str:dataset_uuid>/epd", soda.epd_document, name="soda-epd"),
    path("sources/<str:dataset_uuid>/<str:file_name>", soda.digital_file, name="soda-digital-file"),
    re_path(rf"^(?P<folder>{FOLDERS})/(?P<dataset_uuid>[^/]+)$", soda.dataset, name="soda-dataset"),
]
