module netsubject

go 1.19
