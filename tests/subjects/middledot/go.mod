module middledot

go 1.19
