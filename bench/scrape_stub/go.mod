module scrapestub
go 1.19
