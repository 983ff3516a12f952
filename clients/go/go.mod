module hearth.local/ppclient

go 1.19
