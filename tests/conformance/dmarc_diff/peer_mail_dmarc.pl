#!/usr/bin/perl
# tests/conformance/dmarc_diff/peer_mail_dmarc.pl - the peer side of the
# DMARC differential test: Mail::DMARC::PurePerl (Debian
# libmail-dmarc-perl, an RFC 7489 implementation with the Public Suffix
# List) evaluates every case of cases.jsonl and prints one JSON line per
# case.
#
#   peer_mail_dmarc.pl CASES.jsonl PSL.dat WORKDIR > peer.jsonl
#
# No DNS leaves the process: Mail::DMARC's resolver is replaced by a fake
# one answering from the case's "zone" (names absent answer NXDOMAIN), and
# every Net::DNS::Resolver network method dies if it is ever reached.
# Mail::DMARC's pct draw, int(rand(100)), returns the case's "sample" so
# that pct gives the same disposition on both sides (RFC 7489 6.6.4).
use strict;
use warnings;

our $SAMPLE = 0;
# Before Mail::DMARC::PurePerl is compiled, so that its rand() is ours.
BEGIN { *CORE::GLOBAL::rand = sub { return $main::SAMPLE; }; }

use JSON::PP;
use Net::DNS;
use Mail::DMARC::PurePerl;

die "usage: $0 cases.jsonl psl.dat workdir\n" if @ARGV != 3;
my ( $cases_file, $psl_file, $workdir ) = @ARGV;

# Belt and braces: the real resolver must never be used.
{
	no warnings 'redefine';
	for my $m (qw(send query search bgsend)) {
		no strict 'refs';
		*{"Net::DNS::Resolver::Base::$m"} = sub {
			die "network DNS attempted ($m @_[1..$#_])\n";
		};
	}
}

# A configuration of our own: the shared PSL snapshot, nothing stored.
my $ini = "$workdir/mail-dmarc.ini";
open my $ih, '>', $ini or die "$ini: $!\n";
print $ih "[dns]\npublic_suffix_list = $psl_file\ntimeout = 1\n",
    "[report_store]\nauto_save = 0\n",
    "[smtp]\nwhitelist = \n";
close $ih;
$ENV{MAIL_DMARC_CONFIG_FILE} = $ini;

package FakePacket;
sub new { my ( $c, @rr ) = @_; return bless { rr => \@rr }, $c; }
sub answer { return @{ $_[0]{rr} }; }

package FakeResolver;
sub new {
	my ( $c, $zone ) = @_;
	my %db;
	for my $r (@$zone) {
		my ( $name, $type, $data ) = @$r;
		my $rr;
		if ( $type eq 'TXT' ) {
			$rr = Net::DNS::RR->new( owner => $name, type => 'TXT',
			    txtdata => $data );
		} else {
			$rr = Net::DNS::RR->new( owner => $name, type => $type,
			    address => $data );
		}
		push @{ $db{ lc $name }{$type} }, $rr;
	}
	return bless { db => \%db, asked => [] }, $c;
}
sub _rrs {
	my ( $s, $name, $type ) = @_;
	$name = lc $name;
	$name =~ s/\.$//;
	push @{ $s->{asked} }, "$name/$type";
	return @{ $s->{db}{$name}{$type} || [] };
}
# send: a packet even when empty; query: undef without answers (as
# Net::DNS::Resolver does).
sub send { my $s = shift; return FakePacket->new( $s->_rrs(@_) ); }
sub query {
	my $s = shift;
	my @rr = $s->_rrs(@_);
	return @rr ? FakePacket->new(@rr) : undef;
}

package main;

my $json = JSON::PP->new->canonical(1);
open my $fh, '<', $cases_file or die "$cases_file: $!\n";
binmode STDOUT, ':utf8';
while ( my $line = <$fh> ) {
	next if $line !~ /\S/;
	my $c = $json->decode($line);
	my %out = ( id => $c->{id} );
	$SAMPLE = $c->{sample};
	my $res = FakeResolver->new( $c->{zone} );
	my $dmarc = Mail::DMARC::PurePerl->new;
	$dmarc->set_resolver($res);
	my $r = eval {
		$dmarc->header_from( $c->{from} );
		$dmarc->spf( [ map { {%$_} } @{ $c->{spf} } ] );
		$dmarc->dkim( [ map { {%$_} } @{ $c->{dkim} } ] )
		    if @{ $c->{dkim} };
		$dmarc->validate;
	};
	if ( !$r ) {
		my $e = $@ || 'no result';
		$e =~ s/\s+at \S+ line \d+.*//s;
		$out{error} = $e;
		$out{result} = 'error';
	} else {
		$out{result} = lc $r->result;
		$out{disposition} = lc( $r->disposition // 'none' );
		my $pub = eval { $r->published };
		if ( $pub && $out{result} ne 'none' ) {
			my $sub = $dmarc->is_subdomain ? 1 : 0;
			$out{policy_domain} = lc $pub->domain;
			$out{inherited} = $sub ? JSON::PP::true : JSON::PP::false;
			# PurePerl::validate's effective policy.
			my $eff = $sub && defined $pub->sp ? $pub->sp : $pub->p;
			$out{policy} = lc( $eff // '' );
			$out{spf_aligned} = ( $r->spf // '' ) eq 'pass'
			    ? JSON::PP::true : JSON::PP::false;
			$out{dkim_aligned} = ( $r->dkim // '' ) eq 'pass'
			    ? JSON::PP::true : JSON::PP::false;
			$out{pct} = $pub->pct if defined $pub->pct;
		}
		$out{reasons} = [ map { $_->type . ( defined $_->comment
		    ? ': ' . $_->comment : '' ) } @{ $r->reason || [] } ];
	}
	$out{asked} = $res->{asked};
	print $json->encode( \%out ), "\n";
}
close $fh;
