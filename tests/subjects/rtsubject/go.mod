module rtsubject

go 1.19
