from kiemchung.cli import main

main()
