# compare.gp - bar chart of bench/compare.sh's medians with min-max error
# bars.  gnuplot -e "datafile='plot.dat'; outfile='compare.png'; subtitle='...'" bench/compare.gp
# datafile rows: "label" median min max colour   (valid answers/s; colour
# 1 = stunringd, 2 = other servers, 3 = a different load generator)
if (!exists("datafile")) datafile = 'plot.dat'
if (!exists("outfile")) outfile = 'compare.png'
if (!exists("subtitle")) subtitle = ''

set terminal pngcairo size 1000,560 font "sans,11"
set output outfile
set title "STUN Binding answers per second on loopback (median of the rounds, bars: min-max)\n{/*0.8 ".subtitle."; server on CPU 0, load generator on CPU 1}"
set style fill solid 0.8 border -1
set boxwidth 0.6
set ylabel "valid answers/s (thousands)"
set yrange [0:*]
set xrange [-0.6:*]
set offsets 0, 0.6, graph 0.08, 0
set grid ytics
set key off
set xtics noenhanced font ",10" nomirror
set bmargin 4
set linetype 1 lc rgb "#2e7d32"
set linetype 2 lc rgb "#3a75b0"
set linetype 3 lc rgb "#9e9e9e"
plot datafile using 0:($2/1000):($3/1000):($4/1000):(0.35):5:xtic(1) with boxerrorbars lc variable lw 1.5, \
     '' using 0:(0):(sprintf("%.0fk", $2/1000)) with labels offset 0,0.8 font ",10" tc rgb "white"
