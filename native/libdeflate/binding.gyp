{
  "targets": [
    {
      "target_name": "crilog_deflate",
      "sources": ["deflate.c"],
      "libraries": ["-ldeflate"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
