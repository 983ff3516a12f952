module hearth.test/generics

go 1.21
