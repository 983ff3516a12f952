module goclient

go 1.19

require hearth.local/ppclient v0.0.0

replace hearth.local/ppclient => ../../../clients/go
