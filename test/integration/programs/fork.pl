# Perl fork and wait.
my @kids;
for my $n (1 .. 3) {
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) { exit $n }
    push @kids, $pid;
}
my $sum = 0;
for (@kids) { waitpid($_, 0); $sum += $? >> 8 }
print "sum of exit codes: $sum\n";
