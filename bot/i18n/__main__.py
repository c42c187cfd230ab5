import sys

from bot.i18n.tool import main

sys.exit(main())
