# tools/man/tidy.awk - drop the paragraph macros scdoc 1.11 emits where
# they do nothing (right after a heading, before a heading or another
# paragraph, at the end), and move one that ends an indented block to
# after the block: mandoc -T lint warns about each ("skipping paragraph
# macro"), and the pages must lint clean.  roff on stdin and stdout.

{
	if ($0 == ".P") {
		if (prev !~ /^\.(SH|SS|TH)([ \t]|$)/)
			pending = 1
		next
	}
	if ($0 ~ /^\.\\"/) {			# a comment: keep, look past it
		print
		next
	}
	if ($0 ~ /^\.RE([ \t]|$)/) {		# the paragraph goes after the block
		print
		prev = $0
		next
	}
	if ($0 ~ /^\.(SH|SS)([ \t]|$)/)
		pending = 0
	if (pending)
		print ".P"
	pending = 0
	print
	prev = $0
}
