import JobrunCore
